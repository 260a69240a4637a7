// Package config owns Throughline's YAML configuration file: the catalog,
// security, ingest limits and sources. Decoding is strict (an unknown key
// is an error) and every error names the offending key. ${NAME} references
// are expanded from the environment, so secrets stay out of the file.
//
// It reads the file it is given and the environment; it does not read the
// network.
package config
