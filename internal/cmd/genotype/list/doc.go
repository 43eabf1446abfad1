// Package list implements `nasx genotype list`.
package list
