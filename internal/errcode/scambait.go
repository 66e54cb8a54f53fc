package errcode

// scamBait holds the codes that "fix" pages and fake support scripts are
// built around. A code earns its place by two things together: Windows shows
// it to end users in Settings > Windows Update (so people search for it),
// and it has a widely reported failure behind it, so search results for it
// are crowded with third-party "fixes" - the setting in which ClickFix-style
// lures ask users to paste PowerShell (docs/domain.md 1.1 and 3). Reports
// use the flag to add a warning that the fix for the code never involves
// running commands from a web page. Keep the list short: a code that is only
// common is not bait.
var scamBait = map[uint32]struct{}{
	// ERROR_INSTALL_FAILURE: the KB5034441 (January 2024) WinRE failures and
	// the KB5057589 (April 2025) false alarm; malicious PowerShell "fixes"
	// for it were reported (domain.md 1.1, sempreupdate).
	0x80070643: {},
	// CBS_E_INSTALLERS_FAILED: the KB4524244, KB5068781 and KB5089549
	// known issues (domain.md 1.4 #11, #15, #17).
	0x800F0922: {},
	// ERROR_SXS_COMPONENT_STORE_CORRUPT and CBS_E_SOURCE_MISSING /
	// CBS_E_STORE_CORRUPTION: component-store errors whose real fix (DISM
	// /RestoreHealth) is imitated by "repair tool" downloads.
	0x80073712: {},
	0x800F081F: {},
	0x800F0831: {},
	// An Automatic Updates code Microsoft does not document; the results
	// for it are third-party fix pages only (seen while building this table).
	0x8024A105: {},
	// ERROR_FILE_NOT_FOUND, E_ACCESSDENIED, WU_E_DOWNLOAD_FAILED and
	// WU_E_PT_WINHTTP_NAME_NOT_RESOLVED: the generic download and permission
	// failures every "reset Windows Update" script claims to cure.
	0x80070002: {},
	0x80070005: {},
	0x80240034: {},
	0x8024402C: {},
}
