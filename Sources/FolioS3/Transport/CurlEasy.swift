internal import CCurl
import Foundation

/// Owns one libcurl easy handle, its error buffer and the state its callbacks fill in.
///
/// A handle is used by one thread at a time (`CurlPool` hands it out exclusively); reusing it
/// keeps its connection cache, so consecutive requests to one server skip TCP and TLS setup.
final class CurlEasy: @unchecked Sendable {
    private let handle: UnsafeMutableRawPointer
    private let errorBuffer: UnsafeMutablePointer<CChar>

    // Filled by the C callbacks during `perform`, which reach this object through the
    // unretained pointer passed as their user data; `self` outlives every callback because the
    // callbacks only run inside `curl_easy_perform` called from a method of `self`.
    private var responseBody = Data()
    private var responseHeaders: [String: String] = [:]
    private var uploadBody = Data()
    private var uploadOffset = 0

    init() throws {
        try CurlGlobal.ensureInitialized()
        guard let handle = curl_easy_init() else {
            throw S3Error(code: .internalFailure, message: "curl_easy_init failed: could not allocate a handle")
        }
        self.handle = handle
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
    }

    deinit {
        curl_easy_cleanup(handle)
        errorBuffer.deallocate()
    }

    /// Sends `request` and waits for the whole response.
    func perform(_ request: HTTPRequest) throws -> HTTPResponse {
        responseBody = Data()
        responseHeaders = [:]
        uploadBody = request.body
        uploadOffset = 0
        defer {
            uploadBody = Data()
            responseBody = Data()
        }
        // Reset drops every option of the last request but keeps live connections.
        curl_easy_reset(handle)
        errorBuffer[0] = 0

        let headerList = try CurlHeaderList(request.headers.map { Self.headerLine(name: $0.key, value: $0.value) } + [
            // An `Expect: 100-continue` round trip would only add latency to small uploads.
            "Expect:"
        ])
        try configure(for: request, headerList: headerList)

        let code = curl_easy_perform(handle)
        try check(code, "curl_easy_perform", url: request.url)

        var status = 0
        try check(folio_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status), "curl_easy_getinfo(RESPONSE_CODE)")
        return HTTPResponse(status: status, headers: responseHeaders, body: responseBody)
    }

    private func configure(for request: HTTPRequest, headerList: CurlHeaderList) throws {
        try setopt(CURLOPT_ERRORBUFFER, pointer: UnsafeMutableRawPointer(errorBuffer), "ERRORBUFFER")
        try setopt(CURLOPT_URL, string: request.url, "URL")
        try setopt(CURLOPT_PROTOCOLS_STR, string: "http,https", "PROTOCOLS_STR")
        // Keys may contain `.` and `..` segments; squashing them would fetch another object
        // and break the signature, which covers the path as written.
        try setopt(CURLOPT_PATH_AS_IS, long: 1, "PATH_AS_IS")
        // Signals are unsafe in a multi-threaded process; timeouts then rely on the resolver.
        try setopt(CURLOPT_NOSIGNAL, long: 1, "NOSIGNAL")
        try setopt(CURLOPT_CONNECTTIMEOUT_MS, long: Self.milliseconds(request.connectTimeout), "CONNECTTIMEOUT_MS")
        try setopt(CURLOPT_TIMEOUT_MS, long: Self.milliseconds(request.requestTimeout), "TIMEOUT_MS")
        try setopt(CURLOPT_SSL_VERIFYPEER, long: 1, "SSL_VERIFYPEER")
        try setopt(CURLOPT_SSL_VERIFYHOST, long: 2, "SSL_VERIFYHOST")
        // A redirect would carry a signature made for another URL; S3 redirects are errors here.
        try setopt(CURLOPT_FOLLOWLOCATION, long: 0, "FOLLOWLOCATION")
        try setopt(CURLOPT_TCP_KEEPALIVE, long: 1, "TCP_KEEPALIVE")
        try setopt(CURLOPT_USERAGENT, string: "Folio", "USERAGENT")
        try check(folio_curl_setopt_slist(handle, CURLOPT_HTTPHEADER, headerList.pointer), "curl_easy_setopt(HTTPHEADER)")

        let userData = Unmanaged.passUnretained(self).toOpaque()
        try check(folio_curl_setopt_write_function(handle, Self.writeCallback), "curl_easy_setopt(WRITEFUNCTION)")
        try setopt(CURLOPT_WRITEDATA, pointer: userData, "WRITEDATA")
        try check(folio_curl_setopt_header_function(handle, Self.headerCallback), "curl_easy_setopt(HEADERFUNCTION)")
        try setopt(CURLOPT_HEADERDATA, pointer: userData, "HEADERDATA")

        switch request.method {
        case "GET":
            try setopt(CURLOPT_HTTPGET, long: 1, "HTTPGET")
        case "HEAD":
            try setopt(CURLOPT_NOBODY, long: 1, "NOBODY")
        case "PUT":
            try setopt(CURLOPT_UPLOAD, long: 1, "UPLOAD")
            try check(folio_curl_setopt_off_t(handle, CURLOPT_INFILESIZE_LARGE, curl_off_t(request.body.count)), "curl_easy_setopt(INFILESIZE_LARGE)")
            try check(folio_curl_setopt_read_function(handle, Self.readCallback), "curl_easy_setopt(READFUNCTION)")
            try setopt(CURLOPT_READDATA, pointer: userData, "READDATA")
            // libcurl rewinds the upload when it resends on a fresh connection.
            try check(folio_curl_setopt_seek_function(handle, Self.seekCallback), "curl_easy_setopt(SEEKFUNCTION)")
            try setopt(CURLOPT_SEEKDATA, pointer: userData, "SEEKDATA")
        default:
            try setopt(CURLOPT_CUSTOMREQUEST, string: request.method, "CUSTOMREQUEST")
        }
    }

    // MARK: - Callbacks

    private static let writeCallback: @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int = {
        data, size, count, userData in
        guard let userData else { return 0 }
        let easy = Unmanaged<CurlEasy>.fromOpaque(userData).takeUnretainedValue()
        let length = size * count
        if let data, length > 0 {
            easy.responseBody.append(UnsafeRawPointer(data).assumingMemoryBound(to: UInt8.self), count: length)
        }
        return length
    }

    private static let headerCallback: @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int = {
        data, size, count, userData in
        guard let userData else { return 0 }
        let easy = Unmanaged<CurlEasy>.fromOpaque(userData).takeUnretainedValue()
        let length = size * count
        if let data, length > 0 {
            let line = String(decoding: UnsafeRawBufferPointer(start: data, count: length), as: UTF8.self)
            easy.receiveHeaderLine(line)
        }
        return length
    }

    private static let readCallback: @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int = {
        buffer, size, count, userData in
        guard let buffer, let userData else { return Int(CURL_READFUNC_ABORT) }
        let easy = Unmanaged<CurlEasy>.fromOpaque(userData).takeUnretainedValue()
        let length = min(size * count, easy.uploadBody.count - easy.uploadOffset)
        guard length > 0 else { return 0 }
        let start = easy.uploadBody.startIndex + easy.uploadOffset
        easy.uploadBody.copyBytes(
            to: UnsafeMutableRawPointer(buffer).assumingMemoryBound(to: UInt8.self),
            from: start..<(start + length))
        easy.uploadOffset += length
        return length
    }

    private static let seekCallback: @convention(c) (UnsafeMutableRawPointer?, curl_off_t, Int32) -> Int32 = {
        userData, offset, origin in
        guard let userData, origin == SEEK_SET else { return CURL_SEEKFUNC_CANTSEEK }
        let easy = Unmanaged<CurlEasy>.fromOpaque(userData).takeUnretainedValue()
        guard offset >= 0, offset <= easy.uploadBody.count else { return CURL_SEEKFUNC_FAIL }
        easy.uploadOffset = Int(offset)
        return CURL_SEEKFUNC_OK
    }

    private func receiveHeaderLine(_ line: String) {
        let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.hasPrefix("HTTP/") {
            // A new status line starts a new response (after a 100 Continue, for one).
            responseHeaders = [:]
            return
        }
        guard let colon = trimmed.firstIndex(of: ":") else { return }
        let name = trimmed[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
        let value = trimmed[trimmed.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        if let existing = responseHeaders[name] {
            responseHeaders[name] = existing + ", " + value
        } else {
            responseHeaders[name] = value
        }
    }

    // MARK: - Checked option setters

    private func setopt(_ option: CURLoption, long value: Int, _ name: String) throws {
        try check(folio_curl_setopt_long(handle, option, value), "curl_easy_setopt(\(name))")
    }

    private func setopt(_ option: CURLoption, string value: String, _ name: String) throws {
        // libcurl copies string options (since 7.17), so the temporary C string may go away.
        try check(folio_curl_setopt_string(handle, option, value), "curl_easy_setopt(\(name))")
    }

    private func setopt(_ option: CURLoption, pointer value: UnsafeMutableRawPointer, _ name: String) throws {
        try check(folio_curl_setopt_pointer(handle, option, value), "curl_easy_setopt(\(name))")
    }

    /// The one place libcurl results become errors: names the call and, for a failed transfer,
    /// says whether it timed out or could not reach the server, which callers retry.
    private func check(_ code: CURLcode, _ function: String, url: String? = nil) throws {
        guard code != CURLE_OK else { return }
        let summary = String(cString: curl_easy_strerror(code))
        let detail = String(cString: errorBuffer)
        let reason = detail.isEmpty ? summary : detail
        let target = url.map { " for \($0)" } ?? ""
        throw S3Error(
            code: Self.errorCode(for: code),
            message: "\(function) failed\(target): \(reason) (CURLcode \(code.rawValue))")
    }

    private static func errorCode(for code: CURLcode) -> S3Error.Code {
        switch code {
        case CURLE_OPERATION_TIMEDOUT:
            return .timeout
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY, CURLE_COULDNT_CONNECT,
            CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE,
            CURLE_SSL_CONNECT_ERROR, CURLE_HTTP2, CURLE_HTTP2_STREAM, CURLE_SEND_FAIL_REWIND:
            return .transport
        case CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_CERTPROBLEM:
            // A certificate that does not verify will not start verifying on a retry.
            return S3Error.Code("tlsVerificationFailed")
        case CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL:
            return .invalidConfiguration
        default:
            return .internalFailure
        }
    }

    /// `Name: value`, or `Name;` which is libcurl's spelling of a header with an empty value.
    private static func headerLine(name: String, value: String) -> String {
        value.isEmpty ? "\(name);" : "\(name): \(value)"
    }

    private static func milliseconds(_ seconds: Double) -> Int {
        max(1, Int((seconds * 1000).rounded(.up)))
    }
}

/// Owns a `curl_slist` of request headers and frees it in `deinit`.
private final class CurlHeaderList {
    private(set) var pointer: UnsafeMutablePointer<curl_slist>?

    init(_ lines: [String]) throws {
        for line in lines {
            guard let appended = curl_slist_append(pointer, line) else {
                curl_slist_free_all(pointer)
                pointer = nil
                throw S3Error(code: .internalFailure, message: "curl_slist_append failed: out of memory")
            }
            pointer = appended
        }
    }

    deinit {
        curl_slist_free_all(pointer)
    }
}

/// `curl_global_init` must run once before any handle exists, and before other threads use
/// libcurl; a static `let` gives exactly that.
enum CurlGlobal {
    private static let initResult: CURLcode = curl_global_init(Int(CURL_GLOBAL_DEFAULT))

    static func ensureInitialized() throws {
        let code = initResult
        guard code == CURLE_OK else {
            throw S3Error(code: .internalFailure, message: "curl_global_init failed: \(String(cString: curl_easy_strerror(code)))")
        }
    }
}
