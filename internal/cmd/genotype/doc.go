// Package genotype implements `nasx genotype`, the commands that show,
// validate and list DARTS CNN genotypes.
package genotype
