/// What to do once a request's head is known, before its body is read.
public enum HeadDecision: Sendable, Equatable {
    /// Read the body (sending 100 Continue if the client asked for it), then dispatch the request.
    case readBody
    /// Answer now without the body (404, 405, 413, 415, …). The body, if any, is read and
    /// discarded so it is never parsed as the next request; after `Expect: 100-continue` the
    /// connection is closed instead, since the client may never send it.
    case respond(Response)
}
