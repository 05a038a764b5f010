package ir

// Logging is the access log.
type Logging struct {
	Enabled bool   `json:"enabled" yaml:"enabled"`
	Format  string `json:"format" yaml:"format"`
	// Fields are the recorded fields, sorted.
	Fields []string `json:"fields" yaml:"fields"`
	// Redact lists every value hidden before a line is written, sorted by
	// kind and name. Credentials the policy reads are included when
	// redactCredentials is on.
	Redact       []Redaction `json:"redact" yaml:"redact"`
	AuthFailures bool        `json:"authFailures" yaml:"authFailures"`
	// Sink is "stdout", "file", "syslog" or "http"; Target is its path,
	// address or URL.
	Sink          string `json:"sink" yaml:"sink"`
	SinkTarget    string `json:"sinkTarget,omitempty" yaml:"sinkTarget,omitempty"`
	RetentionDays int    `json:"retentionDays,omitempty" yaml:"retentionDays,omitempty"`
	Origin        Origin `json:"origin" yaml:"origin"`
}

// Redaction hides one header, query parameter or field.
type Redaction struct {
	// Kind is "header", "query" or "field".
	Kind string `json:"kind" yaml:"kind"`
	Name string `json:"name" yaml:"name"`
	// Mode is "drop", "redact" or "hash".
	Mode string `json:"mode" yaml:"mode"`
}
