package importers

import (
	"strings"
)

// The sign-in log's single-pass reader (issue 10), on the UAL reader's
// JSON primitives (ual_fast.go): a Graph, PowerShell, Log Analytics or
// diagnostic sign-in record is read once, its values kept as substrings
// of the record's text; a diagnostic record's properties are read from
// that text, not decoded again. Keys match whatever their ASCII case, as
// the decoder matches them; anything the reader does not vouch for (a
// repeated key, a key outside ASCII, surrogates, a null or object where
// the decoder would read a nested value differently, …) makes it step
// aside to the decoder.

// scan reads the sign-in object s into u (zeroed first) and reports
// whether it vouches for the result.
func (u *signInOf[S]) scan(s string) bool {
	end, ok := u.scanAt(s, nil)
	return ok && jsOnly(s, end)
}

// scanAt is scan of the object at the start of s, whatever follows it: it
// returns the index after the object. stop, when not nil, is asked about
// each key of the object's own members; true makes the reader step aside
// at once (an envelope's key, which the splitter must see).
func (u *signInOf[S]) scanAt(s string, stop func(k string) bool) (int, bool) {
	*u = signInOf[S]{}
	var seen uint64
	var buf [48]byte
	return jsMembers(s, jsWS(s, 0), func(k string, v int) (int, bool) {
		if stop != nil && stop(k) {
			return 0, false
		}
		f, ok := jsFoldKey(buf[:0], k)
		if !ok {
			return jsSkip(s, v, 1) // longer than any field's name
		}
		var dst *S
		var flex *flexString
		var nested *ualJSON
		var status *signinStatusField
		var loc *signinLocationField
		var bit uint64
		switch string(f) {
		case "id":
			dst, bit = &u.ID, 1<<0
		case "createddatetime":
			dst, bit = &u.CreatedDateTime, 1<<1
		case "userprincipalname":
			dst, bit = &u.UserPrincipalName, 1<<2
		case "userid":
			dst, bit = &u.UserID, 1<<3
		case "userdisplayname":
			dst, bit = &u.UserDisplayName, 1<<4
		case "appid":
			dst, bit = &u.AppID, 1<<5
		case "appdisplayname":
			dst, bit = &u.AppDisplayName, 1<<6
		case "serviceprincipalid":
			dst, bit = &u.ServicePrincipalID, 1<<7
		case "serviceprincipalname":
			dst, bit = &u.ServicePrincipalName, 1<<8
		case "ipaddress":
			dst, bit = &u.IPAddress, 1<<9
		case "useragent":
			dst, bit = &u.UserAgent, 1<<10
		case "correlationid":
			dst, bit = &u.CorrelationID, 1<<11
		case "sessionid":
			dst, bit = &u.SessionID, 1<<12
		case "uniquetokenidentifier":
			dst, bit = &u.UniqueTokenIdentifier, 1<<13
		case "resourceid":
			dst, bit = &u.ResourceID, 1<<14
		case "resourcedisplayname":
			dst, bit = &u.ResourceDisplayName, 1<<15
		case "resourcetenantid":
			dst, bit = &u.ResourceTenantID, 1<<16
		case "hometenantid":
			dst, bit = &u.HomeTenantID, 1<<17
		case "serviceprincipalcredentialkeyid":
			dst, bit = &u.ServicePrincipalCredentialKeyID, 1<<18
		case "serviceprincipalcredentialthumbprint":
			dst, bit = &u.ServicePrincipalCredentialThumbprint, 1<<19
		case "clientcredentialtype":
			dst, bit = &u.ClientCredentialType, 1<<20
		case "isinteractive":
			flex, bit = &u.IsInteractive, 1<<21
		case "signineventtypes":
			nested, bit = &u.SignInEventTypes, 1<<22
		case "status":
			status, bit = &u.Status, 1<<23
		case "location":
			loc, bit = &u.Location, 1<<24
		case "properties":
			nested, bit = &u.Properties, 1<<25
		case "category":
			dst, bit = &u.Category, 1<<26
		case "time":
			dst, bit = &u.Time, 1<<27
		case "tenantid":
			dst, bit = &u.TenantID, 1<<28
		case "calleripaddress":
			dst, bit = &u.CallerIPAddress, 1<<29
		case "resulttype":
			flex, bit = &u.ResultType, 1<<30
		case "resultdescription":
			dst, bit = &u.ResultDesc, 1<<31
		case "type":
			dst, bit = &u.Type, 1<<32
		case "aadtenantid":
			dst, bit = &u.AADTenantID, 1<<33
		case "resourceidentity":
			dst, bit = &u.ResourceIdentity, 1<<34
		case "locationdetails":
			loc, bit = &u.LocationDetails, 1<<35
		case "timegenerated":
			dst, bit = &u.TimeGenerated, 1<<36
		default:
			return jsSkip(s, v, 1)
		}
		if seen&bit != 0 {
			return 0, false // a repeated key: left to the decoder
		}
		seen |= bit
		switch {
		case nested != nil:
			if s[v] == '"' {
				return 0, false // JSON in a string: left to the decoder
			}
			end, ok := jsSkip(s, v, 1)
			if ok {
				nested.text = s[v:end]
			}
			return end, ok
		case status != nil:
			return jsSigninStatus(s, v, status)
		case loc != nil:
			return jsSigninLocation(s, v, loc)
		}
		val, end, ok := jsScalar(s, v)
		if !ok {
			return 0, false
		}
		if dst != nil {
			*dst = S(val)
		} else {
			*flex = flexString(val)
		}
		return end, true
	})
}

// jsObjectText reads the value at s[v] as signinStatusField and
// signinLocationField do: obj is an object's text (the value, or the JSON
// a string holds), str a plain string's value (isStr). ok is false for
// what the reader leaves to the decoder.
func jsObjectText(s string, v int) (end int, obj, str string, isStr, ok bool) {
	switch s[v] {
	case '{':
		if end, ok = jsSkip(s, v, 1); !ok {
			return 0, "", "", false, false
		}
		return end, s[v:end], "", false, true
	case '"':
		val, end, ok := jsString(s, v)
		if !ok {
			return 0, "", "", false, false
		}
		t := strings.TrimLeft(val, " \t\r\n")
		if t != "" && t[0] >= 0x80 {
			return 0, "", "", false, false // perhaps a space flexJSON.Bytes would trim
		}
		if t != "" && (t[0] == '{' || t[0] == '[' || t[0] == '"') {
			if t[0] != '{' {
				return 0, "", "", false, false
			}
			// The object must be alone in the string (flexJSON.Bytes
			// trims Unicode space: other trailing bytes step aside).
			oe, ok := jsSkip(t, 0, 1)
			if !ok || !jsOnly(t, oe) {
				return 0, "", "", false, false
			}
			return end, t[:oe], "", false, true
		}
		return end, "", val, true, true
	}
	end, ok = jsSkip(s, v, 1)
	return end, "", "", false, ok
}

// jsSigninStatus reads status: an object (or one in a string) into its
// fields, a plain word into Text.
func jsSigninStatus(s string, v int, f *signinStatusField) (int, bool) {
	end, obj, str, isStr, ok := jsObjectText(s, v)
	if !ok {
		return 0, false
	}
	if isStr {
		f.Text = str
		return end, true
	}
	if obj == "" {
		return end, true // a number, boolean, array or null: nothing
	}
	var buf [24]byte
	var set uint8
	oe, ok := jsMembers(obj, 0, func(k string, i int) (int, bool) {
		var dst *flexString
		var bit uint8
		if fk, ok := jsFoldKey(buf[:0], k); ok {
			switch string(fk) {
			case "errorcode":
				dst, bit = &f.ErrorCode, 1
			case "failurereason":
				dst, bit = &f.FailureReason, 2
			case "additionaldetails":
				dst, bit = &f.AdditionalDetails, 4
			}
		}
		if dst == nil {
			return jsSkip(obj, i, 2)
		}
		val, end, ok := jsScalar(obj, i)
		if !ok || obj[i] == 'n' && set&bit != 0 {
			return 0, false // a null after a value: left to the decoder
		}
		set |= bit
		*dst = flexString(val) // "" for a null first
		return end, true
	})
	return end, ok && oe == len(obj)
}

// jsSigninLocation reads location or LocationDetails: an object's (or one
// in a string's) countryOrRegion, or a code of at most three bytes.
func jsSigninLocation(s string, v int, f *signinLocationField) (int, bool) {
	end, obj, str, isStr, ok := jsObjectText(s, v)
	if !ok {
		return 0, false
	}
	if isStr {
		if str != "" && len(str) <= 3 {
			f.Country = str
		}
		return end, true
	}
	if obj == "" {
		return end, true
	}
	var buf [24]byte
	country := ""
	oe, ok := jsMembers(obj, 0, func(k string, i int) (int, bool) {
		fk, ok := jsFoldKey(buf[:0], k)
		if !ok || (string(fk) != "countryorregion" && string(fk) != "city") {
			return jsSkip(obj, i, 2)
		}
		val, end, ok := jsScalar(obj, i)
		if !ok || obj[i] == 'n' {
			return 0, false
		}
		if string(fk) == "countryorregion" {
			country = val
		}
		return end, true
	})
	if !ok || oe != len(obj) {
		return 0, false
	}
	f.Country = country
	return end, true
}
