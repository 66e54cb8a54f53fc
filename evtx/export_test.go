package evtx

// SetLongWay makes c render every record the long way and compile every
// template, without render plans or the template cache.
func SetLongWay(c *Chunk) { c.dec.longWay = true }

// PlanReplays returns how many records of c were rendered by a plan.
func PlanReplays(c *Chunk) int { return c.dec.plans.replays }
