import Foundation

/// Reads a `ListObjectsV2` response (`<ListBucketResult>`) into an `S3ListPage`.
enum ListObjectsParser {
    static func parse(_ data: Data) throws -> S3ListPage {
        guard let root = XMLTreeNode.parse(data) else {
            throw S3Error(code: .invalidResponse, message: "ListObjectsV2 answer is not XML: \(preview(data))")
        }
        guard root.name == "ListBucketResult" else {
            throw S3Error(code: .invalidResponse, message: "ListObjectsV2 answer has root <\(root.name)>, expected <ListBucketResult>")
        }
        // Keys were requested URL-encoded, so ones with characters XML 1.0 cannot carry survive;
        // a server that ignored the request says so by leaving EncodingType out.
        let urlEncoded = root.text(of: "EncodingType")?.lowercased() == "url"
        let entries = try root.children(named: "Contents").map { contents -> S3ListEntry in
            guard let rawKey = contents.text(of: "Key") else {
                throw S3Error(code: .invalidResponse, message: "ListObjectsV2 entry without a <Key>")
            }
            let key: String
            if urlEncoded {
                guard let decoded = URIEncoding.decode(rawKey, plusAsSpace: true) else {
                    throw S3Error(code: .invalidResponse, message: "ListObjectsV2 key is not valid URL encoding: \(rawKey)")
                }
                key = decoded
            } else {
                key = rawKey
            }
            guard let size = contents.text(of: "Size").flatMap({ Int($0.trimmingCharacters(in: .whitespaces)) }) else {
                throw S3Error(code: .invalidResponse, message: "ListObjectsV2 entry \(key) has no numeric <Size>")
            }
            return S3ListEntry(
                key: key,
                size: size,
                etag: contents.text(of: "ETag").map(ETag.unquoted),
                lastModified: contents.text(of: "LastModified").flatMap(HTTPDate.parseISO8601))
        }
        let truncated = root.text(of: "IsTruncated")?.lowercased() == "true"
        let token = root.text(of: "NextContinuationToken").flatMap { $0.isEmpty ? nil : $0 }
        if truncated && token == nil {
            throw S3Error(code: .invalidResponse, message: "ListObjectsV2 answer is truncated but has no NextContinuationToken")
        }
        return S3ListPage(keys: entries, nextContinuationToken: truncated ? token : nil)
    }

    private static func preview(_ data: Data) -> String {
        String(decoding: data.prefix(200), as: UTF8.self)
    }
}

/// Entity tags arrive quoted (`"9b2c…"`); callers compare them bare.
enum ETag {
    static func unquoted(_ value: String) -> String {
        var tag = value.trimmingCharacters(in: .whitespaces)
        if tag.hasPrefix("W/") { tag.removeFirst(2) }
        if tag.count >= 2, tag.hasPrefix("\""), tag.hasSuffix("\"") {
            tag = String(tag.dropFirst().dropLast())
        }
        return tag
    }
}
