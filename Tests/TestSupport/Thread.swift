#if canImport(Glibc)
    import Glibc
#endif

/// A bare pthread for tests that need a second thread without Foundation.
public final class Thread: @unchecked Sendable {
    private let body: () -> Void
    private var handle = pthread_t()

    public init(_ body: @escaping () -> Void) { self.body = body }

    public func start() {
        let context = Unmanaged.passRetained(self).toOpaque()
        pthread_create(
            &handle, nil,
            { raw in
                let thread = Unmanaged<Thread>.fromOpaque(raw!).takeRetainedValue()
                thread.body()
                return nil
            }, context)
    }

    public func join() { pthread_join(handle, nil) }
}
