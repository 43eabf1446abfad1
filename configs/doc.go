// Package configs holds the typed configurations of nasx commands, their
// defaults (the reference papers' settings, with citations), strict JSON
// loading (unknown fields are errors) and validation that reports every
// problem with its field path.
//
// Precedence, applied by the commands: Default*() → JSON file (Load*) →
// explicit flags → Validate. JSON keys are the flag names with "-" replaced
// by "_". This package imports no command-line library.
//
// The presets nar_nb201.json and nar_nb101.json are embedded: they reproduce
// NAR's two committed configurations (github.com/AlbertiPot/nar at 8c08cda,
// config/config201.yml and config/config.yml; algorithms.md B.3). The
// evaluation presets in presets/ (α-DARTS ImageNet, a quick DARTS CIFAR-10
// run, the NAS-Bench-201 200-epoch recipe) are files for `nasx eval
// --config`.
package configs
