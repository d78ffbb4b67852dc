package parser

import "slices"

// debug=1 text hides the runtime's frames, so a goroutine parked on a
// plain channel send or receive shows only the application frame that made
// it: the state is lost, while the protobuf profile of the same moment
// names runtime.chansend1 or runtime.chanrecv1. The PCs of the hidden
// frames are still listed on the record line, and they say which:
//
//   - a channel operation parks through exactly two runtime frames under
//     runtime.gopark: chansend called by chansend1, or chanrecv called by
//     chanrecv1 (v := <-ch) or chanrecv2 (v, ok := <-ch; for range ch);
//     select parks through one (selectgo), everything else through
//     frames debug=1 prints (sync, poll, time);
//   - package runtime's chan.go defines chansend1 and chansend before
//     chanrecv1, chanrecv2 and chanrecv, and the linker keeps a package's
//     functions in source order: the send wrappers' return addresses lie
//     below the receive wrappers', far below (chansend and the functions
//     after it are kilobytes of code), while chanrecv1 and chanrecv2 are
//     tiny neighbours;
//   - chanrecv is the one blocking function with two wrappers: a blocking
//     site reached from two wrapper addresses is a receive.
//
// So within one dump the wrapper return addresses (the second hidden PC)
// fall into families of near neighbours; two families are the send and
// the receive side, in that order, and a family of two addresses, or one
// sharing its blocking site with two wrappers, is the receive side. With
// one family of one address and nothing else to compare, the operation
// stays unknown.

// maxWrapperGap is the largest distance between two channel-receive
// wrappers' return addresses (chanrecv1 and chanrecv2 are a call each,
// padded to 32 bytes on amd64; a little more elsewhere), far below the
// code between the send and receive wrappers.
const maxWrapperGap = 0x100

// hiddenChanOp is a debug=1 record parked under two hidden runtime frames.
type hiddenChanOp struct {
	g       *Goroutine
	site    uint64 // return address into the blocking function (chansend or chanrecv)
	wrapper uint64 // return address into its wrapper (chansend1, chanrecv1/2)
}

// newHiddenChanOp reports whether g, a finished debug=1 record whose state
// its frames did not tell, parked through exactly two hidden frames under
// runtime.gopark (lead holds the record's first PCs): its first printed
// frame is the record's fourth PC.
func newHiddenChanOp(g *Goroutine, lead [4]uint64, hasPC bool) (hiddenChanOp, bool) {
	if !hasPC || g.Reason != "" || g.Status != StatusWaiting || len(g.Frames) == 0 || g.Frames[0].PC == 0 ||
		lead[3] == 0 || !samePC(g.Frames[0].PC, lead[3]) {
		return hiddenChanOp{}, false
	}
	return hiddenChanOp{g: g, site: lead[1], wrapper: lead[2]}, true
}

// resolveHiddenChanOps sets the wait reason of the records of one dump
// whose hidden frames say send or receive (see above).
func resolveHiddenChanOps(ops []hiddenChanOp) {
	if len(ops) == 0 {
		return
	}
	wrappers := make([]uint64, 0, len(ops))
	sites := make(map[uint64]map[uint64]bool)
	for _, op := range ops {
		wrappers = append(wrappers, op.wrapper)
		if sites[op.site] == nil {
			sites[op.site] = make(map[uint64]bool)
		}
		sites[op.site][op.wrapper] = true
	}
	slices.Sort(wrappers)
	wrappers = slices.Compact(wrappers)
	// Families of neighbouring wrapper addresses.
	var families [][]uint64
	for i, w := range wrappers {
		if i == 0 || w-wrappers[i-1] > maxWrapperGap {
			families = append(families, nil)
		}
		families[len(families)-1] = append(families[len(families)-1], w)
	}
	if len(families) > 2 {
		return // not the two sides of chan.go: nothing to rely on
	}
	recvSide := -1
	for fi, fam := range families {
		if len(fam) > 1 {
			recvSide = fi
			continue
		}
		for _, ws := range sites {
			if len(ws) > 1 && ws[fam[0]] {
				recvSide = fi
			}
		}
	}
	side := make(map[uint64]string)
	switch {
	case len(families) == 2 && recvSide != 0:
		// Send below receive; the receive side, when recognised, must be
		// the upper one.
		for _, w := range families[0] {
			side[w] = ReasonChanSend
		}
		for _, w := range families[1] {
			side[w] = ReasonChanRecv
		}
	case len(families) == 1 && recvSide == 0:
		for _, w := range families[0] {
			side[w] = ReasonChanRecv
		}
	default:
		return
	}
	for _, op := range ops {
		if r := side[op.wrapper]; r != "" {
			op.g.Reason = r
		}
	}
}
