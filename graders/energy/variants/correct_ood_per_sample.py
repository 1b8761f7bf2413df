"""Correct: ood_scores one sample at a time (batches of one in eval mode), manual softmax
and norm, the mode restored without try/finally."""

KIND = "correct"
CELLS = {
    "ood_scores_impl": """
def ood_scores(model, x):
    mode = model.training
    model.eval()
    conf, neg, norms = [], [], []
    for i in range(x.shape[0]):
        xi = x[i : i + 1].detach().clone()
        xi.requires_grad = True
        with torch.enable_grad():
            f = model(xi)
            m = f.max(dim=1, keepdim=True).values
            lse = (m + torch.log(torch.exp(f - m).sum(dim=1, keepdim=True))).squeeze(1)
            g = torch.autograd.grad(lse, xi, grad_outputs=torch.ones_like(lse))[0]
        conf.append(torch.exp(f - lse[:, None]).max(dim=1).values.detach())
        neg.append(lse.detach())
        norms.append(torch.sqrt((g**2).sum()).reshape(1))
    model.train(mode)
    return {"max_softmax": torch.cat(conf), "neg_energy": torch.cat(neg), "grad_norm": torch.cat(norms)}
"""
}
