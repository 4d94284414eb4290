// Forwarding header: Error lives in the public API (include/aspen/error.hpp) (layer: util).
#pragma once
#include "aspen/error.hpp"
