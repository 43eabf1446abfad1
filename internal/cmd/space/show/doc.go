// Package show implements `nasx space show`.
package show
