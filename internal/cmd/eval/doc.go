// Package eval implements `nasx eval`: train a DARTS genotype or a
// NAS-Bench-201 cell from scratch with the papers' evaluation recipes
// (darts.Train) and report its test accuracy, size and cost.
package eval
