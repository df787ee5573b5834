package container

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"unicode/utf8"
)

// maxReason is how much of the failure file becomes FailureReason, and of
// /opt/ml/output/message ExitMessage.
const maxReason = 1024

// TrainingFailure returns the FailureReason of a training job whose program exited with
// exitCode (≠ 0). First it does what the image's toolkit does on a failed script: write
// its ExecuteUserScriptError text to /opt/ml/output/failure unless the job wrote one.
// Then "AlgorithmError: " + the first 1024 characters of that file, or
// "AlgorithmError: , exit code: N" when there is none.
//
// stderrTail is not part of the text: the scikit-learn and XGBoost toolkits run the
// script without capturing its stderr, so their message carries ErrorMessage "" (the
// log has the traceback). The failure file is read without following links out of mlDir.
func TrainingFailure(mlDir string, exitCode int, stderrTail string, l *Launch) string {
	if exitCode == 0 {
		return ""
	}
	if l != nil {
		if text := l.toolkitFailure(exitCode, stderrTail); text != "" {
			writeIfAbsent(mlDir, "output/failure", text)
		}
	}
	text, ok := readJobFile(mlDir, "output/failure", 4*maxReason)
	if !ok || text == "" {
		return fmt.Sprintf("AlgorithmError: , exit code: %d", exitCode)
	}
	return "AlgorithmError: " + firstRunes(strings.ToValidUTF8(text, "\uFFFD"), maxReason)
}

// toolkitFailure is the text the toolkit writes for a failed entry point. The
// scikit-learn image's toolkit does not capture the script's stderr, so its ErrorMessage
// is empty (a known source of "failed with no error message" reports); stepwise puts the
// end of the script's stderr there instead, so the FailureReason says what went wrong.
func (l *Launch) toolkitFailure(exitCode int, stderrTail string) string {
	switch l.toolkit {
	case toolkitTraining: // sagemaker-training ExecuteUserScriptError, stderr not captured
		extra := ""
		if exitCode == 137 {
			extra = "\nExtraInfo \"OutOfMemory: Process killed by SIGKILL (signal 9)\""
		}
		return fmt.Sprintf("ExecuteUserScriptError:\nExitCode %d\nErrorMessage \"%s\"%s\nCommand \"%s\"", exitCode, lastBytes(strings.TrimSpace(stderrTail), maxStderr), extra, l.commandLine)
	case toolkitContainer: // sagemaker-containers ExecuteUserScriptError
		return fmt.Sprintf("ExecuteUserScriptError:\nCommand \"%s\"", l.commandLine)
	}
	return ""
}

// TrainingSucceeded writes the toolkit's empty /opt/ml/output/success marker after a
// script-mode or algorithm-mode run that exited 0 (nothing reads it; it is there for
// scripts and tools that look for it).
func TrainingSucceeded(mlDir string, l *Launch) {
	if l != nil && l.toolkit != toolkitNone {
		writeIfAbsent(mlDir, "output/success", "")
	}
}

// ProcessingOutcome reads what a finished processing job left: ExitMessage is the first
// 1 KiB of /opt/ml/output/message (which must be UTF-8, else the job fails with a
// ClientError); FailureReason is set when the job failed.
func ProcessingOutcome(mlDir string, exitCode int) (exitMessage, failureReason string) {
	if msg, ok := readJobFile(mlDir, "output/message", maxReason+1); ok {
		if len(msg) > maxReason {
			msg = trimPartialRune(msg[:maxReason])
		}
		if !utf8.ValidString(msg) {
			return "", "ClientError: /opt/ml/output/message is not valid UTF-8, so it cannot be the job's ExitMessage."
		}
		exitMessage = msg
	}
	if exitCode != 0 {
		failureReason = fmt.Sprintf("AlgorithmError: See job logs for more information (exit code %d)", exitCode)
	}
	return exitMessage, failureReason
}

// trimPartialRune drops a UTF-8 sequence cut short at the end of s.
func trimPartialRune(s string) string {
	for i := 1; i < utf8.UTFMax && i <= len(s); i++ {
		if utf8.RuneStart(s[len(s)-i]) {
			if !utf8.FullRuneInString(s[len(s)-i:]) {
				return s[:len(s)-i]
			}
			return s
		}
	}
	return s
}

func firstRunes(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}

// readJobFile reads up to limit bytes of a regular file the job wrote, never through a
// link that leaves mlDir.
func readJobFile(mlDir, name string, limit int64) (string, bool) {
	root, err := os.OpenRoot(mlDir)
	if err != nil {
		return "", false
	}
	defer root.Close()
	fi, err := root.Lstat(name)
	if err != nil || !fi.Mode().IsRegular() {
		return "", false
	}
	f, err := root.Open(name)
	if err != nil {
		return "", false
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit))
	if err != nil {
		return "", false
	}
	return string(b), true
}

// writeIfAbsent creates a file in the job's directory unless something is there.
func writeIfAbsent(mlDir, name, text string) {
	root, err := os.OpenRoot(mlDir)
	if err != nil {
		return
	}
	defer root.Close()
	if _, err := root.Lstat(name); !errors.Is(err, fs.ErrNotExist) {
		return
	}
	_ = root.MkdirAll("output", 0o755)
	f, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return
	}
	_, _ = f.WriteString(text)
	_ = f.Close()
}

// maxStderr is how much of a failed script's stderr goes into its ErrorMessage, leaving
// room in the 1024-byte FailureReason for the command.
const maxStderr = 600

// lastBytes is the end of s, at most n bytes, cut at a character boundary.
func lastBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[len(s)-n:]
	for len(s) > 0 && !utf8.RuneStart(s[0]) {
		s = s[1:]
	}
	return s
}
