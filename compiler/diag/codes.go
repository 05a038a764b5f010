package diag

// Stable diagnostic codes. Numbers are never reused (RMP219, RMP220 and
// RMP402 were never issued); `rampart explain CODE`
// prints the matching Explanations entry.
const (
	// Loading and schema (RMP0xx, RMP1xx).
	CodeLoad         = "RMP001"
	CodeSchema       = "RMP100"
	CodeConflict     = "RMP101"
	CodeUnknownField = "RMP102"
	CodeMissingField = "RMP103"

	// Checks CUE cannot express (RMP2xx).
	CodeCORSWildcardCredentials = "RMP201"
	CodeJWTNoAudience           = "RMP202"
	CodeAPIKeyInLoggedQuery     = "RMP203"
	CodeAuthEndpointNoRateLimit = "RMP204"
	CodeHSTSPlaintext           = "RMP205"
	CodeSensitiveUnauthed       = "RMP206"
	CodeLiteralSecret           = "RMP207"
	CodeUnknownReference        = "RMP208"
	CodeWaiverExpired           = "RMP209"
	CodeDuplicateRoute          = "RMP210"
	CodeJWTKeySource            = "RMP211"
	CodeNoProviders             = "RMP212"
	CodeDenyAll                 = "RMP213"
	CodeWeakTLS                 = "RMP214"
	CodeConsumerKey             = "RMP215"
	CodeCredentialsPlaintext    = "RMP216"
	CodeMTLSWithoutClientAuth   = "RMP217"
	CodeUpstreamTLSOff          = "RMP218"
	CodeInsecureURL             = "RMP221"
	CodeClassificationLowered   = "RMP222"
	CodeUpstreamScheme          = "RMP223"
	CodeShadowedHeader          = "RMP224"
	CodeTLSNoCiphers            = "RMP225"
	CodeAuthorizerRemote        = "RMP226"
	CodePrefixParam             = "RMP227"
	CodeDeployDuplicate         = "RMP228"
	CodeWaiverNotDeployed       = "RMP229"
	CodeTrustedProxies          = "RMP230"

	// Baselines (RMP3xx).
	CodeBaseline = "RMP300"

	// Targets (RMP4xx).
	CodeUnsupported = "RMP400"
	CodeWaived      = "RMP401"
	CodeTargetBuild = "RMP403"
	CodeNotDeployed = "RMP404"

	// Reports (RMP60x).
	CodeReportForeignRun    = "RMP600"
	CodeReportTargetGap     = "RMP601"
	CodeReportExpiredWaiver = "RMP602"
	// Posture changes found by rampart diff (RMP700–RMP719).
	CodeWeakened         = "RMP700"
	CodeWeakenedAccepted = "RMP701"
	CodeStrengthened     = "RMP702"
	CodePostureChanged   = "RMP703"
	CodeDiffGit          = "RMP704"
	// Envoy target (RMP410–RMP419).
	CodeEnvoyDHEDropped = "RMP410"
)
