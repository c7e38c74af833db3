import Foundation

/// The `<Error>` document S3 sends with a failed request.
struct S3ErrorBody: Sendable, Hashable {
    var code: String
    var message: String?
    var requestID: String?
    /// The bucket's real region, sent with `PermanentRedirect` and similar.
    var region: String?

    /// The error in `data`, or nil when it is empty or not an S3 error document.
    static func parse(_ data: Data) -> S3ErrorBody? {
        guard !data.isEmpty, let root = XMLTreeNode.parse(data), root.name == "Error",
            let code = root.text(of: "Code"), !code.isEmpty
        else { return nil }
        return S3ErrorBody(
            code: code,
            message: root.text(of: "Message"),
            requestID: root.text(of: "RequestId"),
            region: root.text(of: "Region"))
    }
}
