// Package configs holds the typed configurations of the nasx commands, their
// paper defaults (Default* constructors, with citations), strict JSON loading
// (unknown fields are errors) and validation that reports every problem with
// its field path.
//
// Precedence, applied by the commands: Default*() → JSON file (Load*) →
// explicit flags → Validate. JSON keys are the flag names with "-" replaced
// by "_". This package imports no command-line library.
package configs
