// Package sample implements `nasx space sample`.
package sample
