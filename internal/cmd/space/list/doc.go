// Package list implements `nasx space list`.
package list
