package tui

import (
	"errors"
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
		stack := fd.nodes[node].frames()
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
// line in the user's editor. Only a file that resolves inside a source
// root is opened (resolveSource), by its absolute path, and the status
// line names the root it was found in.
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
	if m.srcRoots == nil {
		m.srcRoots = defaultSourceRoots()
	}
	path, root, err := resolveSource(fr.file, m.srcRoots)
	if err != nil {
		m.setError(err.Error())
		return nil
	}
	editor, from := m.opts.Editor, "the editor option"
	for _, v := range []string{"VISUAL", "EDITOR"} {
		if editor == "" {
			editor, from = os.Getenv(v), "$"+v
		}
	}
	if editor == "" {
		editor, from = "vi", "the default editor"
	}
	name, args, err := editorCommand(editor, path, fr.line)
	if err != nil {
		m.setError(fmt.Sprintf("%s: %v", from, err))
		return nil
	}
	m.status = fmt.Sprintf("opened %s:%d (in the %s)", path, fr.line, root)
	cmd := exec.Command(name, args...)
	return tea.ExecProcess(cmd, func(err error) tea.Msg { return editorDoneMsg{err: err} })
}

// editorCommand builds the command line that opens file (absolute) at
// line. editor is split like a shell word list, without a shell ("code
// --wait", "'/opt/My Editor/bin/ed' -n"): nothing in it or in the file name
// is ever interpreted by a shell. The file is passed after "--" for editors
// whose argument parser knows it (vi, nano and emacs families) and as
// "--goto FILE:LINE" for VS Code, "FILE:LINE" for Sublime Text and Zed.
func editorCommand(editor, file string, line int) (string, []string, error) {
	if !filepath.IsAbs(file) {
		return "", nil, fmt.Errorf("refusing to open %q: not an absolute path", file)
	}
	words, err := splitWords(editor)
	if err != nil {
		return "", nil, err
	}
	if len(words) == 0 {
		return "", nil, errors.New("the editor command is empty")
	}
	name, args := words[0], words[1:]
	switch base := filepath.Base(name); base {
	case "code", "code-insiders", "codium":
		return name, append(args, "--goto", file+":"+strconv.Itoa(line)), nil
	case "subl", "zed":
		return name, append(args, file+":"+strconv.Itoa(line)), nil
	default:
		if line > 0 {
			args = append(args, "+"+strconv.Itoa(line))
		}
		if dashDashEditors[base] {
			args = append(args, "--")
		}
		return name, append(args, file), nil
	}
}

// dashDashEditors take "--" to end their options: after it, "+cmd" and
// "-c cmd" are file names, not commands.
var dashDashEditors = map[string]bool{
	"vi": true, "vim": true, "nvim": true, "gvim": true, "view": true, "vim.basic": true, "vim.tiny": true,
	"nano": true, "emacs": true, "kak": true,
}

// splitWords splits s into words as a POSIX shell would, without running
// one and without expanding anything: blanks separate words, single quotes
// keep everything literally, double quotes keep everything but a backslash
// before " \ $ or `, and a backslash outside quotes keeps the next
// character.
func splitWords(s string) ([]string, error) {
	var (
		words []string
		cur   strings.Builder
		in    bool // inside a word
	)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n':
			if in {
				words = append(words, cur.String())
				cur.Reset()
				in = false
			}
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, fmt.Errorf("unterminated single quote in %q", s)
			}
			cur.WriteString(s[i+1 : i+1+j])
			i += j + 1
			in = true
		case c == '"':
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) && strings.IndexByte("\"\\$`", s[i+1]) >= 0 {
					i++
				}
				cur.WriteByte(s[i])
			}
			if i >= len(s) {
				return nil, fmt.Errorf("unterminated double quote in %q", s)
			}
			in = true
		case c == '\\':
			if i+1 >= len(s) {
				return nil, fmt.Errorf("trailing backslash in %q", s)
			}
			i++
			cur.WriteByte(s[i])
			in = true
		default:
			cur.WriteByte(c)
			in = true
		}
	}
	if in {
		words = append(words, cur.String())
	}
	return words, nil
}
