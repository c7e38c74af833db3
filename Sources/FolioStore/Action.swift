/// What a commit did to a file; recorded as the `Folio-Action` trailer and in the catalog.
public enum Action: String, Sendable, Codable, CaseIterable {
    case create, update, delete, restore

    /// The verb that starts a commit subject, e.g. `Update prd …`.
    var verb: String { rawValue.prefix(1).uppercased() + rawValue.dropFirst() }
}
