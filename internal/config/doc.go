// Package config loads Gatehouse's typed configuration from defaults, a YAML
// file, GATEHOUSE_* environment variables and flags (each overriding the one
// before), and validates it as a whole, reporting every bad key at once.
package config
