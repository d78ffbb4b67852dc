package tui

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	tea "github.com/charmbracelet/bubbletea"
)

// editorDoneMsg reports the end of an editor session.
type editorDoneMsg struct{ err error }

// selectedFrame is the frame "e" opens: the frame under the cursor in a
// stack, else the most telling frame of what is selected (the chain link's
// blocking frame, the root's first application frame, a group's first
// application frame).
func (m *model) selectedFrame() (frameRow, bool) {
	switch m.view {
	case viewBrowser:
		g := m.currentGroup()
		if g == nil {
			return frameRow{}, false
		}
		frames := g.frames()
		if m.bv.open && m.bv.frame < len(frames) {
			return frames[m.bv.frame], true
		}
		return bestFrame(frames)
	default:
		fd := m.currentFinding()
		if fd == nil || len(fd.nodes) == 0 {
			return frameRow{}, false
		}
		node := 0
		if m.fv.focus != focusList && m.view == viewFindings {
			node = m.fv.node
		}
		stack := fd.nodes[node].stack
		if m.view == viewFindings && m.fv.focus == focusStack && m.fv.frame < len(stack) {
			return stack[m.fv.frame], true
		}
		return bestFrame(stack)
	}
}

// bestFrame picks the first application frame, else the blocking one,
// else the first.
func bestFrame(frames []frameRow) (frameRow, bool) {
	for _, f := range frames {
		if f.app {
			return f, true
		}
	}
	for _, f := range frames {
		if f.blocking {
			return f, true
		}
	}
	if len(frames) > 0 {
		return frames[0], true
	}
	return frameRow{}, false
}

// openEditor suspends the UI and opens the selected frame's file at its
// line in the user's editor, when the file exists on this machine.
func (m *model) openEditor() tea.Cmd {
	fr, ok := m.selectedFrame()
	if !ok {
		m.setError("no frame selected")
		return nil
	}
	if fr.file == "" {
		m.setError("the frame names no file")
		return nil
	}
	path, ok := localFile(fr.file)
	if !ok {
		m.setError(fmt.Sprintf("%s is not on this machine", fr.file))
		return nil
	}
	editor := m.opts.Editor
	if editor == "" {
		editor = os.Getenv("VISUAL")
	}
	if editor == "" {
		editor = os.Getenv("EDITOR")
	}
	if editor == "" {
		editor = "vi"
	}
	name, args := editorArgs(editor, path, fr.line)
	cmd := exec.Command(name, args...)
	return tea.ExecProcess(cmd, func(err error) tea.Msg { return editorDoneMsg{err: err} })
}

// editorArgs builds the command line that opens file at line: "+LINE FILE"
// for the vi, emacs and nano families, "--goto FILE:LINE" for VS Code and
// "FILE:LINE" for Sublime Text. editor may carry its own arguments
// ("code --wait").
func editorArgs(editor, file string, line int) (string, []string) {
	fields := strings.Fields(editor)
	name, args := fields[0], fields[1:]
	switch filepath.Base(name) {
	case "code", "code-insiders", "codium":
		return name, append(args, "--goto", file+":"+strconv.Itoa(line))
	case "subl", "zed":
		return name, append(args, file+":"+strconv.Itoa(line))
	default:
		if line > 0 {
			args = append(args, "+"+strconv.Itoa(line))
		}
		return name, append(args, file)
	}
}
