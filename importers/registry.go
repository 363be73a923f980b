package importers

import "github.com/causeway-ir/causeway/timeline"

// All returns every importer, in the order detection tries them: the more
// specific a content match, the earlier it stands. This table is the one
// place importers are registered.
func All() []timeline.Importer {
	return []timeline.Importer{
		// Each source adds its line here.
		cloudTrail{},
		gcpAudit{},
		okta{},
		gworkspace{},
		entraAudit{},  // before entra.signin and azure.activity: same diagnostic envelope
		entraSignin{}, // before azure.activity: same diagnostic envelope
		m365UAL{},
		azureActivity{}, // after entra.*: its Match is the loosest of the Microsoft ones
		jwtCapture{},    // last: any source's file may carry a JWT somewhere
	}
}
