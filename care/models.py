# Clients, support networks, care plans, visits and budgets arrive with the care issue.
