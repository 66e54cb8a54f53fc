package evtx

// SetPlans turns render plans on or off for the records of c.
func SetPlans(c *Chunk, on bool) { c.dec.plansOff = !on }

// PlanReplays returns how many records of c were rendered by a plan.
func PlanReplays(c *Chunk) int { return c.dec.plans.replays }
