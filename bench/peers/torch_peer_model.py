"""The LeNet of examples/fashion-lenet.lift in PyTorch, and how its parameters map to LiFT's names
and layouts; shared by the peers that train or time it."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class LeNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 5, padding=2)
        self.conv2 = nn.Conv2d(8, 16, 5, padding=2)
        self.fc = nn.Linear(16 * 7 * 7, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return self.fc(torch.flatten(x, 1))


# name in LiFT -> (torch parameter, shape in LiFT)
def lift_layout(m):
    return {
        "K1": (m.conv1.weight, (8, 5, 5)),
        "B1": (m.conv1.bias, (8,)),
        "K2": (m.conv2.weight, (16, 8, 5, 5)),
        "B2": (m.conv2.bias, (16,)),
        "W": (m.fc.weight, (10, 16, 7, 7)),
        "B": (m.fc.bias, (10,)),
    }
