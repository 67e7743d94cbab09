package negation

import future.keywords.not

default p := false

p if {
    not input.x + input.y == input.z
}
