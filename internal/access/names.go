package access

import (
	"regexp"
	"strings"

	"github.com/gatehouse-iam/gatehouse/internal/permission"
)

// permissionName is a dotted lower-case name: "invoices.read", "billing.invoices.export".
var permissionName = regexp.MustCompile(`^[a-z][a-z0-9_-]*(\.[a-z][a-z0-9_-]*)+$`)

// permissionPrefix is what may stand before ".*" in a wildcard.
var permissionPrefix = regexp.MustCompile(`^[a-z][a-z0-9_-]*(\.[a-z][a-z0-9_-]*)*$`)

// maxPermissionName bounds permission names.
const maxPermissionName = 100

// reservedNamespace reports whether name's first segment belongs to the system
// permissions of admin roles, which applications may not define.
func reservedNamespace(name string) bool {
	ns, _, _ := strings.Cut(name, ".")
	for _, sp := range permission.System {
		if spNS, _, _ := strings.Cut(sp, "."); spNS == ns {
			return true
		}
	}
	return false
}

// checkPermissionName returns what is wrong with a name for a new
// application permission, or "".
func checkPermissionName(name string) string {
	switch {
	case len(name) > maxPermissionName:
		return "must be at most 100 characters"
	case !permissionName.MatchString(name):
		return "must be dotted lower-case words, such as invoices.read"
	case reservedNamespace(name):
		return "is in a namespace reserved for system permissions"
	}
	return ""
}

// isWildcard reports whether p is a valid "prefix.*" pattern outside the
// reserved namespaces.
func isWildcard(p string) bool {
	prefix, ok := strings.CutSuffix(p, ".*")
	return ok && len(p) <= maxPermissionName && permissionPrefix.MatchString(prefix) && !reservedNamespace(prefix)
}
