package live

import "testing"

// TestBuildErrorPlaces: an error names the entity's place in the
// document, nested as the document nests it.
func TestBuildErrorPlaces(t *testing.T) {
	for _, tc := range []struct{ doc, want string }{
		{`{"_format_version":"3.0","services":[{"name":"a"},{"name":"b","routes":[{"name":"r","plugins":[{"name":"acl"},{"name":"acl"}]}]}]}`,
			"services[1].routes[0].plugins[1]: plugin acl twice in one scope"},
		{`{"_format_version":"3.0","services":[{"name":"a","plugins":[{"name":"cors"},{}]}]}`,
			"services[0].plugins[1]: plugin without a name"},
		{`{"_format_version":"3.0","services":[{"name":"a","routes":[{"name":"r"},{"name":"r"}]}]}`,
			`services[0].routes[1]: route "r" twice`},
		{`{"_format_version":"3.0","services":[{"name":"a"},{"name":"a"}]}`, `services[1]: service "a" twice`},
		{`{"_format_version":"3.0","routes":[{"name":"r"},{"name":"s"},{"name":"s"}]}`, `routes[2]: route "s" twice`},
		{`{"_format_version":"3.0","routes":[{"name":"r","id":"1"}],"plugins":[{"name":"acl","route":"1"},{"name":"cors","route":{"id":"2"}}]}`,
			"plugins[1]: plugin cors on an unknown route"},
		{`{"_format_version":"3.0","plugins":[{"name":"acl"},{"name":"acl","service":{"id":"9"}}]}`,
			"plugins[1]: plugin acl on an unknown service"},
		{`{"_format_version":"3.0","consumers":[{"username":"u"}],"acls":[{"group":"g","consumer":{"id":"x"}}]}`,
			"acls[0]: ACL group of an unknown consumer"},
	} {
		_, err := parseConfig([]byte(tc.doc))
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s: error %v, want %q", tc.doc, err, tc.want)
		}
	}
}
