// Package textlog reads the text logs of Windows servicing: WindowsUpdate.log
// (the Windows 10+ Get-WindowsUpdateLog output, the Windows 7/8 log with its
// REPORT EVENT lines, and ReportingEvents.log lines) and CBS.log with its
// CbsPersist rotations. Each line (with its continuation lines) becomes one
// [Entry] with a [Kind] and the update identity, error code, package states
// and restart flags the line states; docs/textlogs.md lists every recognised
// line and what it yields.
//
// The readers stream: memory does not grow with the file. They take UTF-8
// (with or without BOM) and UTF-16 (either byte order, with or without BOM),
// read lines that are not valid UTF-8 as Latin-1, bound every line to
// [MaxLineBytes] and report damaged lines (over-long, binary, malformed
// timestamps) to a damage callback instead of stopping.
//
// # Security
//
// The readers are meant for untrusted input: state kept across lines (thread
// context, update titles) is capped, damage reports per file are capped, and
// no input makes them panic (the fuzz targets check this).
//
// # Sources of the line patterns
//
// The patterns were taken from public samples of real logs and Microsoft
// documentation; no third-party log is copied into the tests, whose fixtures
// are written for this project from these formats:
//   - docs/domain.md 2.6 (lines quoted there from DCourtel/Wsus_Package_Publisher
//     issue 4, windows-itpro-docs windows-update-troubleshooting.md and
//     windows-update-logs.md, MBFVSolutionsLLC/ChiEpsilon issue 19,
//     LegacyUpdate/LegacyUpdate issue 115);
//   - MicrosoftDocs/SupportArticles-docs troubleshoot-windows-update-error-0x80070490.md
//     (newer Get-WindowsUpdateLog lines with "srcfile_cppNNN [Component]",
//     "Installer completed. Process return code = ..., result = ...");
//   - a Configuration Manager software-update troubleshooting guide quoting a
//     2014 WindowsUpdate.log ("Starting install of CBS update <GUID>",
//     "Completed install of CBS update with type=3, requiresReboot=1,
//     installerError=0, hr=0x0") and a Windows Update Agent walkthrough
//     quoting a 2005 one ("** START **  Agent: Installing updates",
//     "*   Title = ", "*   UpdateId = {...}.100", "Bundles 1 updates:"),
//     both found in the public code-search index;
//   - LegacyUpdate/LegacyUpdate issue 8 and proxb/PoshPAIG issue 18
//     (tab-separated Windows 7/Vista lines, "Logging initialized", COMAPI
//     banners, "WARNING: Exit code = 0x80240024");
//   - CBS.log excerpts in MicrosoftDocs/SupportArticles-docs (0x800f0922 with
//     many files in Windows\Temp: "Exec: Processing complete. Session: ...,
//     Package: ... [HRESULT = ...]", "Session: ... finalized. Reboot
//     required: no [HRESULT = ...]", "SQM: Reporting package change for
//     package: ..., current: Installed, ... client id: DISM Package Manager
//     Provider"; 0x80070490: "Doqi: Failed loading driver operations queue.
//     [HRESULT = 0x80070490 - ERROR_NOT_FOUND]"), and GitHub issues quoting
//     CBS.log ("Reporting package change completion for package: ...,
//     status: 0x800f0922, failure source: Execute", "Reporting selectable
//     update change ... overall result:0x800f0922 (CBS_E_INSTALLERS_FAILED)",
//     "Session: ... initialized by client WindowsUpdateAgent.", "Exec:
//     Processing complete. Session: ..., Package: ..., hr: 0x800f0831");
//   - docs/domain.md 2.6 for "Startup: Failed to process advanced operation
//     queue", "Setting original failure status: 0x800f0922" and "Store
//     corruption, manifest missing for package".
package textlog
