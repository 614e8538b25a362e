import TaskhookCore

@testable import TaskhookProviders

/// Values from ../shared/reference/providers.md, and helpers to build callbacks from them.
enum Fixtures {
    /// Standard Webhooks vector A (§3.1): the official libraries' `test_sign` case.
    enum VectorA {
        static let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
        static let id = "msg_p5jXN8AQM9LWM0D4loKWxJek"
        static let timestamp: Int64 = 1_614_265_330
        static let body = #"{"test": 2432232314}"#
        static let signature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    }

    /// Standard Webhooks vector B (§3.1): the Rust library's `test_sign`, also Replicate's doc secret.
    enum VectorB {
        static let secret = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD"
        static let id = "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk"
        static let timestamp: Int64 = 1_649_367_553
        static let body = #"{"email":"test@example.com","username":"test_user"}"#
        static let signature = "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw="
    }

    /// The illustrative Freepik delivery of §1.6, signed with vector A's secret both ways.
    enum Freepik {
        static let secret = VectorA.secret
        static let id = "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W"
        static let timestamp: Int64 = 1_674_087_231
        static let body =
            #"{"task_id":"046b6c7f-0b8a-43b9-b35d-6489e6daee91","status":"COMPLETED","#
            + #""generated":["https://example.com/generated/video.mp4"]}"#
        /// HMAC keyed by the base64-decoded secret (Standard Webhooks).
        static let standardSignature = "v1,cI3ysuvf5XeHp7uO0sbJCDuXdXC11ayn86P/pRkHAgg="
        /// HMAC keyed by the UTF-8 bytes of the whole secret string (Freepik's Python sample).
        static let rawSignature = "v1,ISvI/0lYqL6N8rn1N56fuNv2/8/Uv07eeKXZKvRfHLU="
    }

    /// The fal vector of §2.8 (RFC 8032 TEST 1 key).
    enum Fal {
        static let jwks = #"{"keys":[{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}"#
        static let requestID = "123e4567-e89b-12d3-a456-426614174000"
        static let userID = "user-123"
        static let timestamp: Int64 = 1_700_000_000
        static let body =
            #"{"request_id":"123e4567-e89b-12d3-a456-426614174000","#
            + #""gateway_request_id":"123e4567-e89b-12d3-a456-426614174000","status":"OK","#
            + #""payload":{"video":{"url":"https://v3.fal.media/files/example/output.mp4","#
            + #""content_type":"video/mp4","file_name":"output.mp4","file_size":1234567}}}"#
        static let signature =
            "f2e642214a9a2d9bf8a138ff110e56ca4bab07badfe9112365019f829176813f"
            + "29e1553c841fcdcaf160a20a2a721191137ff14f7767b3603437a7b00ea30401"
    }

    /// RFC 8032 §7.1 TEST 1 and TEST 2 public keys, in the encodings the verifiers read.
    enum Ed25519Keys {
        static let test1Whpk = "whpk_11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
        static let test2Whpk = "whpk_PUAXw+hDiVqStwqnTRt+vJyYLM8uxJaMwM1V8Sr0Zgw="
        static let test1X = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
        static let test2X = "PUAXw-hDiVqStwqnTRt-vJyYLM8uxJaMwM1V8Sr0Zgw"
    }

    static func callback(_ headers: KeyValuePairs<String, String>, body: String, at time: Int64) -> Callback {
        Callback(
            headers: headers.map { Delivery.Header(name: $0.key, value: $0.value) }, body: Array(body.utf8),
            receivedAt: time)
    }

    static func standardWebhooks(
        id: String, timestamp: String, signature: String, body: String, at time: Int64
    ) -> Callback {
        callback(
            ["webhook-id": id, "webhook-timestamp": timestamp, "webhook-signature": signature], body: body, at: time)
    }

    static func vectorA(
        id: String = VectorA.id, timestamp: Int64 = VectorA.timestamp, signature: String = VectorA.signature,
        body: String = VectorA.body, at time: Int64 = VectorA.timestamp
    ) -> Callback {
        standardWebhooks(id: id, timestamp: String(timestamp), signature: signature, body: body, at: time)
    }

    static func fal(
        requestID: String = Fal.requestID, userID: String = Fal.userID, timestamp: String = String(Fal.timestamp),
        signature: String = Fal.signature, body: String = Fal.body, at time: Int64 = Fal.timestamp
    ) -> Callback {
        callback(
            [
                "x-fal-webhook-request-id": requestID, "x-fal-webhook-user-id": userID,
                "x-fal-webhook-timestamp": timestamp, "x-fal-webhook-signature": signature,
            ], body: body, at: time)
    }

    /// A body-only callback, for normalizers.
    static func body(_ text: String) -> Callback {
        Callback(headers: [], body: Array(text.utf8), receivedAt: 0)
    }
}
