// Package show implements `nasx genotype show`.
package show
