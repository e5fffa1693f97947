#!/bin/sh
# pushes menu.json to the official account
curl -s -X POST "https://api.weixin.qq.com/cgi-bin/menu/create?access_token=86_kP3nR8sV1xZ6cF9hL2qT5wB0mD7gJ4yA1eU8iO3tN6rK9vX2zC5bH8fM1pS4uW7aQ0dG3jL6nR9sV2xZ5cF8hL1qT4wB7mD0gJ3yA6eU9iO2tN5rK8vX1zC4bH7fM0pS3uW6aQ9dG2j" \
  -H 'Content-Type: application/json' -d @menu.json
