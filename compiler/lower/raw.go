package lower

// The raw types mirror the schema's JSON shape; lowering decodes the CUE
// value into them in one pass and then resolves them into the IR.

type rawPolicy struct {
	Metadata struct {
		Name, Owner, Purpose, Description, Contact string
	}
	Baselines      map[string]struct{ ID, Title, Version string }
	Listeners      map[string]rawListener
	Authentication map[string]rawProvider
	AuthFailures   *struct {
		MaxAttempts, WindowSeconds, LockoutSeconds int
		Key                                        string
	}
	Defaults               rawControls
	Services               map[string]rawService
	RejectUndeclaredRoutes bool
	Logging                rawLogging
	Waivers                []rawWaiver
	Targets                struct {
		Deploy     []string
		Authorizer *struct{ URL string }
		Kong       struct{ Edition string }
		Goproxy    struct {
			Redis *struct{ Address, PasswordRef string }
		}
	}
}

type rawListener struct {
	Port          int
	Address       string
	Hosts         []string
	TLS           *rawTLS
	RedirectHTTP  *struct{ Port int }
	ClientAddress rawClientAddress
}

type rawTLS struct {
	Profile, Guidelines, MinVersion, MaxVersion string
	Ciphers, Curves                             []string
	Certificate                                 struct{ Cert, Key string }
	HSTS                                        *struct {
		MaxAgeSeconds              int
		IncludeSubDomains, Preload bool
	}
	ClientAuth *struct {
		Mode, CA       string
		Subjects, SANs []string
	}
}

type rawProvider struct {
	Kind string
	// apiKey
	In, Header, Query string
	Consumers         map[string]struct {
		KeyHash, KeyRef string
		Roles           []string
		Shared          bool
	}
	// jwt
	Issuer, JWKSURI, LocalJWKS string
	Audiences, Algorithms      []string
	RequiredClaims             []string
	MaxTokenAgeSeconds         int
	ClockSkewSeconds           int
	SubjectClaim, RolesClaim   string
	ScopesClaim                string
	// mtls
	SubjectFrom string
	Principals  map[string]struct{ Roles []string }
	// introspection
	Endpoint, ClientID, ClientSecret string
	CacheSeconds                     int
}

type rawControls struct {
	Authentication *[]string
	Allow          *[]rawRule
	RateLimits     map[string]rawRateLimit
	Limits         struct {
		MaxBodyBytes, MaxHeaderBytes *int
		Timeouts                     struct {
			HeaderSeconds, BodySeconds, IdleSeconds, UpstreamSeconds *int
		}
	}
	ContentTypes *[]string
	CORS         *rawCORS
	Headers      struct {
		ContentSecurityPolicy *string
		ContentTypeOptions    *string
		FrameOptions          *string
		ReferrerPolicy        *string
		CacheControl          *string
		HideServerTokens      *bool
		Extra                 map[string]string
	}
	AccessLog *bool
}

type rawRule struct {
	Methods, Roles, Scopes []string
	AnyAuthenticated       bool
}

type rawRateLimit struct {
	Requests, PerHour, Burst int
	Per, Key, Header         string
	Shared                   bool
}

type rawCORS struct {
	AllowOrigins, AllowMethods, AllowHeaders, ExposeHeaders []string
	AllowCredentials                                        bool
	MaxAgeSeconds                                           int
}

type rawService struct {
	Upstream struct {
		URL string
		TLS *struct {
			Verify            bool
			CA, ServerName    string
			ClientCertificate *struct{ Cert, Key string }
		}
	}
	Listeners      []string
	Classification string
	Owner, Purpose string
	DataCategories []string
	rawControls
	Routes map[string]rawRoute
}

type rawRoute struct {
	Path, Match    string
	Methods        []string
	Classification string
	Public         bool
	AuthEndpoint   bool
	rawControls
}

type rawLogging struct {
	Enabled           bool
	Format            string
	Fields            map[string]bool
	RedactCredentials bool
	Redact            struct {
		Headers, Query, Fields map[string]string
	}
	AuthFailures  bool
	Sink          struct{ Kind, Path, Address, URL string }
	RetentionDays int
}

type rawWaiver struct {
	Control, Target, Route, Reason, Approver, Expires string
}
