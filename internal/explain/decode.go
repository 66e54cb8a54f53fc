package explain

type decoded struct {
	severity     string
	facility     int
	facilityName string
	name         string
	meaning      string
	known        bool
	scamBait     bool
}

func decode(code uint32) decoded {
	d := decoded{severity: "success", facility: int(code>>16) & 0x1FFF}
	if code&0x80000000 != 0 {
		d.severity = "error"
	}
	return d
}
