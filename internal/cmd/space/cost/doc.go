// Package cost implements `nasx space cost`.
package cost
