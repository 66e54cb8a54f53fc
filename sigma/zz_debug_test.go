package sigma
import ("testing";"fmt";"path/filepath";"github.com/wuguard/wuguard/internal/testcorpus")
func TestZZStats(t *testing.T){
 root := testcorpus.Dir(t, "sigma")
 var paths []string
 for _, d := range []string{"rules/windows","rules-emerging-threats","rules-threat-hunting"} { paths = append(paths, filepath.Join(root,d)) }
 rules, _ := ParsePaths(paths)
 rs, _ := Compile(rules, Config{})
 for k, b := range rs.idx.exact { if len(b.insts) > 50 { 
   nAlways := 0; for _, in := range b.insts { if in.clauses == nil { nAlways++ } }
   states := len(b.ac.fail)
   fmt.Println(k.channel, k.id, "insts", len(b.insts), "always", nAlways, "lits", b.ac.nLits, "states", states) } }
}
