// Forwarding header: Result<T> lives in the public API (include/aspen/result.hpp) (layer: util).
#pragma once
#include "aspen/result.hpp"
