// Command vetcorpus measures the vet analyzers on the corpus of real
// modules (vet/corpus/labels.txt) and prints the precision table the
// README carries. Diagnostics without a label are printed in the labels
// file's format with the verdict "?" for a person to read and label;
// labels whose diagnostic is gone are printed too.
//
//	go run ./vet/corpus/cmd/vetcorpus                 # measure all, print the table
//	go run ./vet/corpus/cmd/vetcorpus -run nats       # only modules matching
//	go run ./vet/corpus/cmd/vetcorpus -table          # the table from the labels alone
//	go run ./vet/corpus/cmd/vetcorpus -try example.com/m@v1.2.3 ./...
//
// It needs the module proxy (or a module cache holding the modules).
package main

import (
	"flag"
	"fmt"
	"os"
	"regexp"
	"strings"

	"github.com/ctxhole/ctxhole/vet"
	"github.com/ctxhole/ctxhole/vet/corpus"
)

func main() {
	labels := flag.String("labels", "vet/corpus/labels.txt", "the labels `file`")
	run := flag.String("run", "", "measure only the modules whose path matches `regexp`")
	tableOnly := flag.Bool("table", false, "print the table from the labels without measuring")
	try := flag.String("try", "", "measure `module@version` (not in the corpus) with the package patterns given as arguments, and print its diagnostics for labelling")
	flag.Parse()
	if err := mainErr(*labels, *run, *tableOnly, *try, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "vetcorpus:", err)
		os.Exit(1)
	}
}

func mainErr(labels, run string, tableOnly bool, try string, args []string) error {
	if try != "" {
		path, version, ok := strings.Cut(try, "@")
		if !ok {
			return fmt.Errorf("-try: want module@version, got %q", try)
		}
		if len(args) == 0 {
			args = []string{"./..."}
		}
		m := corpus.Module{Path: path, Version: version, Patterns: args}
		got, err := corpus.Measure(m, vet.Analyzers(), "")
		if err != nil {
			return err
		}
		fmt.Printf("module %s %s lines=%d %s\n", path, version, got.Lines, strings.Join(args, " "))
		for _, d := range got.Diagnostics {
			fmt.Printf("%s %s:%d ? %s\n", d.Analyzer, d.Posn.Filename, d.Posn.Line, d.Message)
		}
		return nil
	}
	f, err := os.Open(labels)
	if err != nil {
		return err
	}
	mods, err := corpus.Parse(f)
	f.Close()
	if err != nil {
		return fmt.Errorf("%s: %w", labels, err)
	}
	if !tableOnly {
		re, err := regexp.Compile(run)
		if err != nil {
			return fmt.Errorf("-run: %w", err)
		}
		bad := false
		for _, m := range mods {
			if !re.MatchString(m.Path) {
				continue
			}
			got, err := corpus.Measure(m, vet.Analyzers(), "")
			if err != nil {
				return err
			}
			gone, unlabelled := corpus.Diff(m, got.Keys())
			fmt.Fprintf(os.Stderr, "%s@%s: %d lines (labels say %d), %d diagnostics, %d gone, %d unlabelled\n",
				m.Path, m.Version, got.Lines, m.Lines, len(got.Diagnostics), len(gone), len(unlabelled))
			if got.Lines != m.Lines || len(gone) > 0 || len(unlabelled) > 0 {
				bad = true
				fmt.Printf("module %s %s lines=%d %s\n", m.Path, m.Version, got.Lines, strings.Join(m.Patterns, " "))
			}
			for _, l := range gone {
				fmt.Printf("# gone (%s:%d): %s %s:%d %s\n", labels, l.Src, l.Analyzer, l.File, l.Line, verdict(l.TP))
			}
			msgs := map[string]string{}
			for _, d := range got.Diagnostics {
				msgs[fmt.Sprintf("%s %s:%d", d.Analyzer, d.Posn.Filename, d.Posn.Line)] = d.Message
			}
			for _, k := range unlabelled {
				fmt.Printf("%s ? %s\n", k, msgs[k])
			}
		}
		if bad {
			defer os.Exit(1)
		}
	}
	rows := corpus.Table(mods, vet.Analyzers(), vet.DefaultOn)
	n, l, lines := corpus.Summary(mods)
	fmt.Printf("\n%d modules, %d labelled diagnostics, %d lines\n\n", n, l, lines)
	corpus.Markdown(os.Stdout, rows)
	return nil
}

func verdict(tp bool) string {
	if tp {
		return "tp"
	}
	return "fp"
}
