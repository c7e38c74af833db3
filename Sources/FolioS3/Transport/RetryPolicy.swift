/// How often and how patiently an `S3Client` repeats a request that failed transiently.
///
/// Throttling (429, `SlowDown`), server errors (5xx), timeouts and broken connections are
/// retried; refusals that would repeat identically (`AccessDenied`, `SignatureDoesNotMatch`,
/// `NoSuchBucket`, other 4xx) are not. Delays grow exponentially with full jitter, so clients
/// that failed together do not retry together.
public struct RetryPolicy: Sendable, Hashable {
    /// Attempts in total, the first included; 1 means no retries.
    public var maxAttempts: Int
    /// The delay cap before the first retry, in seconds; doubled for each further retry.
    public var baseDelay: Double
    /// The largest delay cap, in seconds.
    public var maxDelay: Double

    /// A policy; `maxAttempts` below 1 counts as 1.
    public init(maxAttempts: Int = 4, baseDelay: Double = 0.1, maxDelay: Double = 5) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelay = max(0, baseDelay)
        self.maxDelay = max(0, maxDelay)
    }

    /// Four attempts, waiting up to 0.1 s, 0.2 s, then 0.4 s between them.
    public static let `default` = RetryPolicy()

    /// One attempt: every failure is reported at once.
    public static let none = RetryPolicy(maxAttempts: 1, baseDelay: 0, maxDelay: 0)

    /// Whether to try again after `error` ended attempt number `attempt` (counting from 1).
    public func shouldRetry(_ error: S3Error, afterAttempt attempt: Int) -> Bool {
        error.isRetryable && attempt < maxAttempts
    }

    /// The longest wait after attempt `attempt`: `baseDelay * 2^(attempt-1)`, at most `maxDelay`.
    public func delayCap(afterAttempt attempt: Int) -> Double {
        let exponent = Double(min(max(attempt - 1, 0), 62))
        return min(maxDelay, baseDelay * Double.pow2(exponent))
    }

    /// A random wait in `0...delayCap(afterAttempt:)` ("full jitter").
    public func delay(afterAttempt attempt: Int) -> Double {
        var generator = SystemRandomNumberGenerator()
        return delay(afterAttempt: attempt, using: &generator)
    }

    /// `delay(afterAttempt:)` with the randomness supplied, for reproducible tests.
    public func delay<Generator: RandomNumberGenerator>(afterAttempt attempt: Int, using generator: inout Generator) -> Double {
        let cap = delayCap(afterAttempt: attempt)
        return cap > 0 ? Double.random(in: 0...cap, using: &generator) : 0
    }
}

extension Double {
    fileprivate static func pow2(_ exponent: Double) -> Double {
        Double(sign: .plus, exponent: Int(exponent), significand: 1)
    }
}
