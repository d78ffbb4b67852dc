package detectors

// findingTexts remembers the reasons and evidence a finding carries, so
// that adding one once (addReason, addEvidence) is a map lookup rather than
// a scan of everything added before: a finding gathers a reason and an
// observation per waiter group linked to it, thousands on a huge dump.
// Passes also append to a finding's lists directly or rebuild them; the
// index notices (a list that shrank or moved) and reads them again.
type findingTexts struct {
	reasons  map[string]bool
	evidence map[evidenceKey]bool
	// nR and nE are how many reasons and observations are indexed; pR and
	// pE the lists' first elements when they were.
	nR, nE int
	pR     *string
	pE     *Evidence
}

// evidenceKey is what makes two observations the same one.
type evidenceKey struct {
	kind, text string
	id         int64
}

// texts returns f's index, brought up to date with its lists.
func (a *analysis) texts(f *Finding) *findingTexts {
	if a.findingTexts == nil {
		a.findingTexts = make(map[*Finding]*findingTexts)
	}
	t := a.findingTexts[f]
	if t == nil {
		t = &findingTexts{}
		a.findingTexts[f] = t
	}
	if len(f.Reasons) < t.nR || (t.nR > 0 && &f.Reasons[0] != t.pR) {
		t.reasons, t.nR = nil, 0
	}
	if t.reasons == nil {
		t.reasons = make(map[string]bool, len(f.Reasons))
	}
	for _, r := range f.Reasons[t.nR:] {
		t.reasons[r] = true
	}
	if t.nR = len(f.Reasons); t.nR > 0 {
		t.pR = &f.Reasons[0]
	}
	if len(f.Evidence) < t.nE || (t.nE > 0 && &f.Evidence[0] != t.pE) {
		t.evidence, t.nE = nil, 0
	}
	if t.evidence == nil {
		t.evidence = make(map[evidenceKey]bool, len(f.Evidence))
	}
	for _, ev := range f.Evidence[t.nE:] {
		t.evidence[evidenceKey{ev.Kind, ev.Text, ev.GoroutineID}] = true
	}
	if t.nE = len(f.Evidence); t.nE > 0 {
		t.pE = &f.Evidence[0]
	}
	return t
}

// addEvidence adds observations to a finding, each once: two waiter
// groups linked by the same observation say it once.
func (a *analysis) addEvidence(f *Finding, evs ...Evidence) {
	if len(evs) == 0 {
		return
	}
	t := a.texts(f)
	for _, ev := range evs {
		k := evidenceKey{ev.Kind, ev.Text, ev.GoroutineID}
		if !t.evidence[k] {
			t.evidence[k] = true
			f.Evidence = append(f.Evidence, ev)
		}
	}
	t.nE = len(f.Evidence)
	if t.nE > 0 {
		t.pE = &f.Evidence[0]
	}
}

// addReason adds a reason for a finding's confidence, once.
func (a *analysis) addReason(f *Finding, r string) {
	if r == "" {
		return
	}
	t := a.texts(f)
	if !t.reasons[r] {
		t.reasons[r] = true
		f.Reasons = append(f.Reasons, r)
	}
	t.nR = len(f.Reasons)
	t.pR = &f.Reasons[0]
}
