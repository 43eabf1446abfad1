// Package validate implements `nasx genotype validate`.
package validate
