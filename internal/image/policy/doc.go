// Package policy chooses the newest allowed tag of an image, as Flux's
// ImagePolicy does: tags are filtered by spec.filterTags.pattern
// (optionally extracting, with spec.filterTags.extract, the value to
// compare), then ordered by one of three policies:
//
//   - semver: values are parsed leniently (semver.NewVersion accepts
//     "v1.2.3" and "1.2"); values that do not parse, such as the
//     "sha256-<digest>.sig" tags cosign pushes, are skipped, and the highest
//     version satisfying the range wins. Pre-releases satisfy a range only
//     when the range itself names a pre-release, and pre-releases keep the
//     semver order: "1.0.0-rc10" is older than "1.0.0-rc9" (identifiers
//     without dots compare as strings), "1.0.0-rc.10" newer than
//     "1.0.0-rc.9".
//   - alphabetical: "asc" picks the greatest value in byte order (the last
//     of sort.Strings), "desc" the smallest.
//   - numerical: values are parsed with strconv.ParseFloat; "asc" picks the
//     highest number, "desc" the lowest.
//
// The selector returns the original tag, never the extracted value.
//
// Where ferry differs from Flux's image-reflector-controller:
//
//   - A numerical policy skips values that are not finite numbers; Flux
//     fails the whole policy on the first one. The policy has no tag
//     (ErrNoTag) only when no value at all is a number.
//   - Values that compare equal (two tags extracting to the same value, or
//     "1.5" and "v1.5.0", or versions differing only in build metadata) are
//     decided by the greater original tag in byte order, so the choice
//     never depends on the order the registry listed the tags in. Flux
//     keeps whichever of them came last.
//   - New refuses an extract template naming a group the pattern does not
//     have, and an extract without a pattern: regexp.ExpandString turns a
//     missing group into an empty string, so such a policy could never
//     choose a tag for the reason it was written.
//   - Latest's error says how many tags there were and how many passed the
//     filter, so that a pattern that matches nothing is told apart from a
//     range that nothing satisfies.
package policy
