// Package configs holds the typed configurations of nasx commands, their
// defaults (the reference papers' settings, with citations), strict JSON
// loading (unknown fields are errors) and validation that reports every
// problem with its field path.
//
// The presets nar_nb201.json and nar_nb101.json are embedded: they reproduce
// NAR's two committed configurations (github.com/AlbertiPot/nar at 8c08cda,
// config/config201.yml and config/config.yml; algorithms.md B.3).
package configs
