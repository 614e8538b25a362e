/// The create-request schemas of the seed documents (`shared/seeds/`), field by field. Where a seed
/// states a limit only in prose ("cannot exceed 2500 characters", "Range value: 0-1", "enumeration
/// values: 5, 10") it is enforced as if it were in the schema: the provider enforces it either way.
enum SeedSchemas {
    static let prompt = ValueShape.string(maxLength: 2500)
    static let duration = ValueShape.string(oneOf: ["5", "10"])
    static let cfgScale = ValueShape.number(0...1)
    /// `format: uri` in every Freepik seed: taskhook builds it from `--public-url`, so a public URL
    /// without a scheme is caught here rather than by a task that never calls back.
    static let webhookURL = FieldRule("webhook_url", .uri)

    /// Seed 000, `POST /v1/ai/image-to-video/kling-v2-5-pro`: only `duration` is required.
    static let freepikKlingV25Pro = RequestSchema([
        webhookURL, FieldRule("image", .text), FieldRule("prompt", prompt), FieldRule("negative_prompt", prompt),
        FieldRule("duration", duration, required: true), FieldRule("cfg_scale", cfgScale),
    ])

    /// Seed 001, `POST /v1/ai/image-to-video/kling-v2`: `duration` and `image` are required.
    static let freepikKlingV2 = RequestSchema([
        webhookURL, FieldRule("image", .text, required: true), FieldRule("prompt", prompt),
        FieldRule("negative_prompt", prompt), FieldRule("duration", duration, required: true),
        FieldRule("cfg_scale", cfgScale),
    ])

    /// Seed 002, `POST /v1/ai/image-to-video/kling-elements-pro`: up to 4 `images`, an aspect ratio.
    static let freepikKlingElementsPro = RequestSchema([
        FieldRule("images", .array(of: .text, maxItems: 4), required: true), FieldRule("prompt", prompt),
        FieldRule("negative_prompt", prompt), FieldRule("duration", duration),
        FieldRule("aspect_ratio", .string(oneOf: ["widescreen_16_9", "social_story_9_16", "square_1_1"])),
        webhookURL,
    ])

    /// Seed 003, `POST /v1/ai/image-to-video/kling-v2-1-std`: motion brush masks; `prompt` is
    /// "required when image is not provided".
    static let freepikKlingV21Std = RequestSchema(
        [
            webhookURL, FieldRule("image", .text), FieldRule("prompt", prompt), FieldRule("negative_prompt", prompt),
            FieldRule("duration", duration, required: true), FieldRule("cfg_scale", cfgScale),
            FieldRule("static_mask", .text),
            FieldRule("dynamic_masks", .array(of: .object(dynamicMask))),
        ],
        requiredOneOf: [["prompt", "image"]])

    static let dynamicMask = RequestSchema([
        FieldRule("mask", .text, required: true),
        FieldRule("trajectories", .array(of: .object(trajectoryPoint)), required: true),
    ])

    static let trajectoryPoint = RequestSchema([
        FieldRule("x", .integer, required: true), FieldRule("y", .integer, required: true),
    ])

    /// Seed 004, the aggregator's `POST /fal-ai/kling-video/v2.5-turbo/pro/image-to-video`: no
    /// webhook field at all.
    static let aggregatorKlingV25TurboPro = RequestSchema([
        FieldRule("prompt", .text, required: true), FieldRule("image_url", .text, required: true),
        FieldRule("duration", duration), FieldRule("negative_prompt", .text), FieldRule("cfg_scale", cfgScale),
    ])

    /// fal's own queue for the same model (providers.md §2.5): the aggregator's fields plus
    /// `tail_image_url`; the webhook goes in the `fal_webhook` query parameter, not the body.
    static let falKlingV25TurboPro = RequestSchema(
        aggregatorKlingV25TurboPro.fields + [FieldRule("tail_image_url", .text)])

    /// Kling's own `POST /v1/videos/image2video` (no seed; providers.md §4.1 and Kling's API page):
    /// `image` required, `callback_url` for the callback, `external_task_id` for the caller's id.
    static let klingImageToVideo = RequestSchema([
        FieldRule("model_name", .text), FieldRule("image", .text, required: true), FieldRule("image_tail", .text),
        FieldRule("prompt", prompt), FieldRule("negative_prompt", prompt), FieldRule("cfg_scale", cfgScale),
        FieldRule("mode", .string(oneOf: ["std", "pro"])), FieldRule("duration", duration),
        FieldRule("callback_url", .text), FieldRule("external_task_id", .text),
    ])
}
