import FolioGit

/// Ids stored as text in the catalog, turned back into `ObjectID`s.
enum ObjectIDText {
    static func parse(_ text: String) throws -> ObjectID {
        guard let id = ObjectID(hex: text) else {
            throw StoreError(.internal, "the catalog holds a malformed object id '\(text)'")
        }
        return id
    }
}
