import Foundation

/// A named thread that runs `body` each time it is woken (and, with an interval, at least that often),
/// until stopped. The mirror worker and the pack maintainer share it: their work blocks on disk and
/// network, so it runs on its own thread rather than in Swift's small cooperative pool.
final class BackgroundLoop: @unchecked Sendable {
    private let name: String
    private let interval: TimeInterval?
    private let niceness: Int32
    private let body: @Sendable () -> Void
    private let condition = NSCondition()
    private var wake = false
    private var stopping = false
    private var running = false
    private let finished = DispatchSemaphore(value: 0)

    /// A loop that runs `body` when signalled, and every `interval` seconds when one is given. A positive
    /// `niceness` lowers the thread's CPU priority (Linux schedules threads individually), for work
    /// that should yield to saves and reads when the machine is busy.
    init(name: String, interval: TimeInterval? = nil, niceness: Int32 = 0, body: @escaping @Sendable () -> Void) {
        self.name = name
        self.interval = interval
        self.niceness = niceness
        self.body = body
    }

    /// Starts the thread (once).
    func start() {
        condition.lock()
        defer { condition.unlock() }
        guard !running, !stopping else { return }
        running = true
        let thread = Thread { [unowned self] in self.run() }
        thread.name = name
        thread.start()
    }

    /// Asks for one more pass as soon as the current one ends.
    func signal() {
        condition.lock()
        wake = true
        condition.signal()
        condition.unlock()
    }

    /// Stops the thread after its current pass and waits for it.
    func stop() {
        condition.lock()
        let wasRunning = running
        stopping = true
        running = false
        condition.signal()
        condition.unlock()
        if wasRunning { finished.wait() }
    }

    private func run() {
        #if os(Linux)
        // On Linux the nice value belongs to the calling thread (who = 0), not the whole process. Best
        // effort: if it cannot be lowered the work still runs, only less politely.
        if niceness > 0 { _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, niceness) }
        #endif
        while true {
            condition.lock()
            while !wake && !stopping {
                if let interval {
                    if !condition.wait(until: Date().addingTimeInterval(interval)) { break }
                } else {
                    condition.wait()
                }
            }
            wake = false
            let stop = stopping
            condition.unlock()
            if stop {
                finished.signal()
                return
            }
            body()
        }
    }
}
