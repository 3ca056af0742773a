// Package containertest runs CounterLab the way a workshop does: the image
// built from the project's Dockerfile, next to Redis and DynamoDB-compatible
// containers, and the whole docker-compose.yml stack.
//
// The tests build the binary on the host and the image from the Dockerfile's
// prebuilt target, so they pull no Go image. They need Docker (and a compose
// command for the compose tests); without one they skip, unless
// COUNTERLAB_REQUIRE_INTEGRATION is set, which makes them fail instead. The
// Redis and DynamoDB images come from COUNTERLAB_TEST_REDIS_IMAGE and
// COUNTERLAB_TEST_DYNAMODB_IMAGE.
package containertest
