// Package hash implements `nasx space hash`.
package hash
