// Package trainer is the reference batch trainer: it reads a stream's
// history through the read API's splits, with several workers in
// parallel, and fits the vehicle anomaly model of package model.
package trainer
